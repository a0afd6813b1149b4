defmodule Mix.Tasks.Compile.Cnif do
  @moduledoc """
  Builds the C NIF libraries of a project that uses cnif.

  List it before Mix's own compilers, so that a library exists when the
  module that loads it is compiled (Elixir runs `@on_load` then):

      def project do
        [
          compilers: [:cnif] ++ Mix.compilers(),
          deps: [{:cnif, path: "../cnif"}],
          ...
        ]
      end

  By default each `c_src/NAME.c` becomes the library `priv/NAME.so` in the
  application's build directory (`_build/ENV/lib/APP/priv`), where
  `use Cnif, lib: "NAME"` finds it. It is compiled against cnif's header
  and the headers of the Erlang that runs Mix, with hidden visibility, and
  linked with cnif's static library and version script, so that
  `nif_init` is the only symbol it exports.

  Each source file is compiled to its own object; a file is compiled again
  when it or a header it includes changed, and a library is linked again
  when one of its objects or cnif itself changed. Compiler errors and
  warnings are printed as the C compiler wrote them and returned as
  diagnostics; an error fails the compilation.

  ## Configuration

  Under `:cnif` in `project/0`:

    * `:libs` - the libraries, as `[name: [source, ...]]`; a source may be
      a wildcard (`"c_src/geometry/*.c"`). Default: one library for each
      `c_src/*.c` file, named after it.
    * `:cflags` - more compiler flags, after the defaults (e.g. `["-DNDEBUG"]`)
    * `:ldflags` - more linker flags, after the objects (e.g. `["-lm"]`)

  The environment variable `CC` names the C compiler (default `cc`);
  `CFLAGS` replaces the default optimisation flags `-O2 -g`. A compiler
  that is not there fails the compilation with a message naming it and
  what to install, before any file is compiled.

  ## Command line options

    * `--force` - compiles and links every library again
    * `--warnings-as-errors` - compiles with `-Werror`, so that a C warning
      fails the compilation as an Elixir warning does (`mix compile
      --warnings-as-errors` passes it to every compiler). Turning it on or
      off compiles every library again: an object compiled without it may
      hold warnings nobody would see again.
  """
  use Mix.Task.Compiler
  alias Mix.Task.Compiler.Diagnostic

  @recursive true
  @manifest "compile.cnif"
  @manifest_vsn 1

  @impl true
  def run(args) do
    {opts, _, _} =
      OptionParser.parse(args, switches: [force: :boolean, warnings_as_errors: :boolean])

    settings = settings(opts[:warnings_as_errors] == true)
    {old_settings, old_libs} = read_manifest()
    force = opts[:force] == true or old_settings != settings
    libs = libraries()

    for {lib, _} <- old_libs, not Map.has_key?(libs, lib), do: remove(lib)

    results = for {lib, sources} <- libs, do: build(lib, sources, settings, force)
    write_manifest(settings, libs)
    diagnostics = Enum.flat_map(results, &elem(&1, 1))

    cond do
      Enum.any?(results, &match?({:error, _}, &1)) -> {:error, diagnostics}
      Enum.any?(results, &match?({:ok, _}, &1)) -> {:ok, diagnostics}
      true -> {:noop, diagnostics}
    end
  end

  @impl true
  def manifests, do: [manifest()]

  @impl true
  def clean do
    {_, libs} = read_manifest()
    for {lib, _} <- libs, do: remove(lib)
    File.rm(manifest())
  end

  defp remove(lib) do
    File.rm(so_path(lib))
    File.rm_rf(obj_dir(lib))
  end

  # What the build depends on besides the sources: a change rebuilds all.
  defp settings(warnings_as_errors) do
    cnif = cnif_dir()
    cflags = System.get_env("CFLAGS", "-O2 -g")
    config = Mix.Project.config()[:cnif] || []

    %{
      cc: System.get_env("CC", "cc"),
      warnings_as_errors: warnings_as_errors,
      cflags:
        ~w(-std=gnu11 -fPIC -fvisibility=hidden -Wall -Wextra) ++
          if(warnings_as_errors, do: ["-Werror"], else: []) ++
          OptionParser.split(cflags) ++
          Keyword.get(config, :cflags, []) ++
          ["-I", Path.join(cnif, "include"), "-I", Path.join(:code.root_dir(), "usr/include")],
      ldflags: Keyword.get(config, :ldflags, []),
      archive: Path.join(cnif, "native/libcnif.a")
    }
    |> Map.merge(exports(Path.join(cnif, "native")))
  end

  # The file and the linker options that leave nif_init the library's only
  # export, and the enif_ functions to the VM that loads it.
  defp exports(native) do
    case :os.type() do
      {:unix, :darwin} ->
        file = Path.join(native, "cnif.exports")
        flags = ["-undefined", "dynamic_lookup", "-Wl,-exported_symbols_list," <> file]
        %{export_file: file, export_flags: flags}

      _ ->
        file = Path.join(native, "cnif.map")
        %{export_file: file, export_flags: ["-Wl,--version-script=" <> file]}
    end
  end

  # cnif's build directory: include/ (Mix links it to cnif's own) and
  # native/, where cnif's :cnif_lib compiler put the library.
  defp cnif_dir do
    case :code.lib_dir(:cnif) do
      dir when is_list(dir) ->
        List.to_string(dir)

      _ ->
        Mix.raise("cnif: the :cnif application is not available; add {:cnif, path: ...} to deps")
    end
  end

  defp libraries do
    case Mix.Project.config()[:cnif][:libs] do
      nil ->
        Map.new(Path.wildcard("c_src/*.c"), &{Path.basename(&1, ".c"), [&1]})

      libs ->
        Map.new(libs, fn {lib, patterns} ->
          {to_string(lib), Enum.flat_map(patterns, &sources/1)}
        end)
    end
  end

  defp sources(pattern) do
    case Path.wildcard(pattern) do
      [] -> Mix.raise("cnif: no C source matches #{inspect(pattern)} (in :cnif :libs)")
      files -> files
    end
  end

  defp build(lib, sources, settings, force) do
    objects = Enum.map(sources, &{&1, obj_path(lib, &1)})
    stale = Enum.filter(objects, fn {src, obj} -> force or stale_object?(src, obj) end)
    so = so_path(lib)

    if stale != [] do
      compiler!(settings.cc)

      Mix.shell().info(
        "Compiling #{length(stale)} C file#{if length(stale) > 1, do: "s"} (#{lib}.so)"
      )
    end

    compiled =
      stale
      |> Task.async_stream(&compile(&1, settings), timeout: :infinity, ordered: true)
      |> Enum.map(fn {:ok, result} -> result end)

    diagnostics = Enum.flat_map(compiled, &elem(&1, 1))

    cond do
      Enum.any?(compiled, &match?({:error, _}, &1)) ->
        File.rm(so)
        {:error, diagnostics}

      stale != [] or outdated?(so, [settings.archive, settings.export_file]) ->
        {status, link_diagnostics} = link(so, Enum.map(objects, &elem(&1, 1)), settings)
        {status, diagnostics ++ link_diagnostics}

      true ->
        {:noop, []}
    end
  end

  # Checked before any compiler runs: System.cmd would raise a bare
  # :enoent, which names neither the compiler nor the way out.
  defp compiler!(cc) do
    if !System.find_executable(cc) do
      source = if System.get_env("CC"), do: "from CC", else: "the default: CC is not set"

      Mix.raise(
        "cnif: the C compiler #{inspect(cc)} (#{source}) was not found: " <>
          "set CC to a C compiler, or install one (gcc or clang; on Debian/Ubuntu " <>
          "`apt-get install build-essential`, on macOS `xcode-select --install`)"
      )
    end
  end

  defp compile({src, obj}, settings) do
    File.mkdir_p!(Path.dirname(obj))
    args = settings.cflags ++ ["-MMD", "-MF", obj <> ".d", "-c", src, "-o", obj]
    why = if settings.warnings_as_errors, do: " (compiled with -Werror for --warnings-as-errors)"
    run_cc(settings.cc, args, src, obj, why)
  end

  defp link(so, objects, settings) do
    compiler!(settings.cc)
    File.mkdir_p!(Path.dirname(so))

    args =
      ["-shared", "-o", so | objects] ++
        [settings.archive | settings.export_flags] ++
        settings.ldflags

    run_cc(settings.cc, args, so, so)
  end

  # The compiler's output is printed as it is (it names files and lines)
  # and parsed into diagnostics for editors. A failure leaves no output;
  # its message ends with why, what may have made it fail, if given.
  defp run_cc(cc, args, subject, output_file, why \\ nil) do
    {output, status} = System.cmd(cc, args, stderr_to_stdout: true)
    diagnostics = diagnostics(output)

    if status == 0 do
      if output != "", do: Mix.shell().info(output)
      {:ok, diagnostics}
    else
      File.rm(output_file)

      message = "cnif: #{cc} failed on #{subject} (exit status #{status})#{why}"

      Mix.shell().error(output <> message)

      failure = %Diagnostic{
        file: Path.expand(subject),
        severity: :error,
        position: nil,
        compiler_name: "cnif",
        message: message
      }

      {:error, diagnostics ++ [failure]}
    end
  end

  @diagnostic ~r/^(?<file>[^:\n]+):(?<line>\d+):(?:(?<column>\d+):)? (?<severity>fatal error|error|warning): (?<message>.*)$/m

  defp diagnostics(output) do
    for match <- Regex.scan(@diagnostic, output, capture: :all_names) do
      [column, file, line, message, severity] = match

      %Diagnostic{
        file: Path.expand(file),
        severity: if(severity == "warning", do: :warning, else: :error),
        position: position(String.to_integer(line), column),
        message: message,
        compiler_name: "cnif"
      }
    end
  end

  defp position(line, ""), do: line
  defp position(line, column), do: {line, String.to_integer(column)}

  # An object is current when it is newer than every file its dependency
  # file (written by -MMD on the last compile) names: the source and each
  # header it included.
  defp stale_object?(src, obj) do
    case File.read(obj <> ".d") do
      {:ok, rule} -> outdated?(obj, [src | dependencies(rule)])
      {:error, _} -> true
    end
  end

  # File times have a resolution of one second: an input changed in the
  # second the target was made counts as newer (one rebuild too many
  # rather than one too few). A missing input counts as changed.
  defp outdated?(target, inputs) do
    case File.stat(target, time: :posix) do
      {:ok, %{mtime: made}} ->
        Enum.any?(inputs, fn input ->
          case File.stat(input, time: :posix) do
            {:ok, %{mtime: changed}} -> changed >= made
            {:error, _} -> true
          end
        end)

      {:error, _} ->
        true
    end
  end

  defp dependencies(make_rule) do
    [_target, prerequisites] = String.split(make_rule, ":", parts: 2)

    prerequisites
    |> String.replace("\\\n", " ")
    |> String.split(~r/(?<!\\)\s+/, trim: true)
    |> Enum.map(&String.replace(&1, "\\ ", " "))
  end

  defp so_path(lib), do: Path.join([Mix.Project.app_path(), "priv", lib <> ".so"])
  defp obj_dir(lib), do: Path.join([Mix.Project.app_path(), "obj", lib])

  defp obj_path(lib, src) do
    relative = src |> Path.relative_to_cwd() |> String.replace("../", "__/")
    Path.join(obj_dir(lib), Path.rootname(relative) <> ".o")
  end

  defp manifest, do: Path.join(Mix.Project.manifest_path(), @manifest)

  defp read_manifest do
    with {:ok, binary} <- File.read(manifest()),
         {@manifest_vsn, settings, libs} <- :erlang.binary_to_term(binary) do
      {settings, libs}
    else
      _ -> {nil, %{}}
    end
  end

  defp write_manifest(settings, libs) do
    File.mkdir_p!(Path.dirname(manifest()))
    File.write!(manifest(), :erlang.term_to_binary({@manifest_vsn, settings, libs}))
  end
end
