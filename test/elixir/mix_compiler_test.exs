# mix_compiler_test.exs -- the :cnif Mix compiler (elixir/mix/tasks/
# compile.cnif.ex) run by a real `mix compile` in a project of its own:
# a C compiler that is not there, and C warnings with and without
# --warnings-as-errors. The project needs nothing fetched: its mix.exs
# loads the compiler from this checkout, and the :cnif application it
# links against is a directory made here from the test build's
# libcnif.a and this checkout's header and version script.
defmodule MixCompilerTest do
  use ExUnit.Case, async: true

  @root Path.expand("../..", __DIR__)

  # A C file that compiles with one warning, and nothing else to build.
  @source """
  int answer(void)
  {
      int unused;
      return 42;
  }
  """

  setup do
    # The OS pid too: suites of other builds may run at the same time (CI's
    # lanes), and unique integers are unique within one VM only.
    dir =
      Path.join(
        System.tmp_dir!(),
        "cnif_mix_#{System.pid()}_#{System.unique_integer([:positive])}"
      )
    on_exit(fn -> File.rm_rf!(dir) end)
    cnif = Path.join(dir, "lib/cnif")
    File.mkdir_p!(Path.join(cnif, "ebin"))
    File.mkdir_p!(Path.join(cnif, "native"))
    File.ln_s!(Path.join(@root, "include"), Path.join(cnif, "include"))
    build = Path.expand("../..", System.fetch_env!("TEST_PRIV"))
    File.ln_s!(Path.join(build, "libcnif.a"), Path.join(cnif, "native/libcnif.a"))
    File.ln_s!(Path.join(@root, "cnif.map"), Path.join(cnif, "native/cnif.map"))
    project = Path.join(dir, "warn")
    File.mkdir_p!(Path.join(project, "c_src"))
    File.write!(Path.join(project, "c_src/warn.c"), @source)

    File.write!(Path.join(project, "mix.exs"), """
    Code.require_file(#{inspect(Path.join(@root, "elixir/mix/tasks/compile.cnif.ex"))})

    defmodule Warn.MixProject do
      use Mix.Project

      def project do
        [app: :warn, version: "0.1.0", compilers: [:cnif], prune_code_paths: false]
      end
    end
    """)

    {:ok, project: project, libs: Path.join(dir, "lib"), home: Path.join(dir, "home")}
  end

  # `mix compile args` in the project with CC as given (nil: unset):
  # {exit status, output}.
  defp mix_compile(ctx, cc, args \\ []) do
    env = [
      {"CC", cc},
      {"ERL_LIBS", ctx.libs},
      {"MIX_HOME", ctx.home},
      {"MIX_ENV", "dev"},
      {"LC_ALL", "C"}
    ]

    {output, status} =
      System.cmd("mix", ["compile" | args], cd: ctx.project, env: env, stderr_to_stdout: true)

    {status, output}
  end

  defp so(ctx), do: Path.join(ctx.project, "_build/dev/lib/warn/priv/warn.so")

  test "a C compiler that is not there is named, with what to install", ctx do
    for cc <- ["/nonexistent/cc", "cnif-no-such-cc"] do
      {status, output} = mix_compile(ctx, cc)
      assert status == 1

      assert output ==
               "** (Mix) cnif: the C compiler #{inspect(cc)} (from CC) was not found: " <>
                 "set CC to a C compiler, or install one (gcc or clang; on Debian/Ubuntu " <>
                 "`apt-get install build-essential`, on macOS `xcode-select --install`)\n"

      refute File.exists?(so(ctx))
    end
  end

  # With CC unset, the default cc: PATH is a directory holding every
  # program of the real PATH but cc.
  test "the default C compiler that is not there is named, with what to install", ctx do
    bin = Path.join(Path.dirname(ctx.project), "bin")
    File.mkdir_p!(bin)

    for dir <- Enum.reverse(String.split(System.fetch_env!("PATH"), ":")),
        {:ok, names} <- [File.ls(dir)],
        name <- names,
        name != "cc" do
      File.rm(Path.join(bin, name))
      File.ln_s(Path.join(dir, name), Path.join(bin, name))
    end

    env = [{"CC", nil}, {"PATH", bin}, {"ERL_LIBS", ctx.libs}, {"MIX_HOME", ctx.home}]
    mix = Path.join(bin, "mix")

    assert System.cmd(mix, ["compile"], cd: ctx.project, env: env, stderr_to_stdout: true) ==
             {"** (Mix) cnif: the C compiler \"cc\" (the default: CC is not set) was not found: " <>
                "set CC to a C compiler, or install one (gcc or clang; on Debian/Ubuntu " <>
                "`apt-get install build-essential`, on macOS `xcode-select --install`)\n", 1}
  end

  test "C warnings are shown, and fail the build under --warnings-as-errors", ctx do
    cc = System.get_env("CC", "cc")
    warning = "c_src/warn.c:3:9: warning: unused variable 'unused' [-Wunused-variable]"

    {status, output} = mix_compile(ctx, cc)
    assert {status, output =~ warning} == {0, true}
    assert File.exists?(so(ctx))

    {status, output} = mix_compile(ctx, cc, ["--warnings-as-errors"])
    assert status == 1
    assert output =~ "c_src/warn.c:3:9: error: unused variable 'unused' [-Werror"

    assert output =~
             "cnif: #{cc} failed on c_src/warn.c (exit status 1) " <>
               "(compiled with -Werror for --warnings-as-errors)"

    refute File.exists?(so(ctx))

    # Without the flag again, the file is compiled again and passes.
    {status, output} = mix_compile(ctx, cc)
    assert {status, output =~ warning} == {0, true}
    assert File.exists?(so(ctx))
  end
end
