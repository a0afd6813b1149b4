# cnif as a Mix project, to be used as a dependency ({:cnif, path: ...}):
# the Erlang support modules (erlang/), the Elixir side (elixir/: `use Cnif`
# and the `:cnif` compiler for the projects that use it) and the C library,
# which the `:cnif_lib` compiler below builds with `make`. No Hex package is
# needed; see docs/mix.md.

defmodule Mix.Tasks.Compile.CnifLib do
  @moduledoc """
  Builds cnif's C library with `make` into `native/` of cnif's own build
  directory (`_build/ENV/lib/cnif/native`), with what limits a NIF
  library's exports to `nif_init` beside it (the version script `cnif.map`,
  and `cnif.exports` for macOS's linker); `Mix.Tasks.Compile.Cnif` links NIF
  libraries against them. Also builds the NIF of `:cnif_handle` into cnif's
  `priv/`. Runs `make` only when a source is newer than the library.
  """
  use Mix.Task.Compiler

  @impl true
  def run(args) do
    native = Path.join(Mix.Project.app_path(), "native")
    lib = Path.join(native, "libcnif.a")
    map = Path.join(native, "cnif.map")
    exports = Path.join(native, "cnif.exports")

    sources = [
      "Makefile",
      "cnif.map",
      "cnif.exports",
      "include/cnif.h" | Path.wildcard("src/*.[ch]")
    ]

    handle = Path.join(native, "cnif/priv/cnif_handle.so")
    priv = Path.join(Mix.Project.app_path(), "priv")

    if "--force" in args or
         Mix.Utils.stale?(["erlang/cnif_handle.c" | sources], [lib, map, exports, handle]) do
      make(native, [lib, handle])
      File.cp!("cnif.map", map)
      File.cp!("cnif.exports", exports)
      # The NIF of :cnif_handle (isolated modules' resources), in cnif's priv/.
      File.mkdir_p!(priv)
      File.cp!(handle, Path.join(priv, "cnif_handle.so"))
      {:ok, []}
    else
      {:noop, []}
    end
  end

  # ERL_ROOT: the headers of the Erlang that runs Mix, which is also the
  # one that will load the NIFs (and make need not start erl to ask).
  # make's output is shown when it fails.
  defp make(native, targets) do
    make = System.find_executable("make") || Mix.raise("cnif: `make` is not installed")

    args = [
      "-j#{System.schedulers_online()}",
      "BUILD=#{native}",
      "ERL_ROOT=#{:code.root_dir()}"
      | targets
    ]

    Mix.shell().info("Compiling the C library (make)")

    case System.cmd(make, args, stderr_to_stdout: true) do
      {_, 0} ->
        :ok

      {output, status} ->
        Mix.shell().error(output)
        Mix.raise("cnif: building the C library failed (make exited with status #{status})")
    end
  end

  @impl true
  def clean, do: File.rm_rf!(Path.join(Mix.Project.app_path(), "native"))
end

defmodule Cnif.MixProject do
  use Mix.Project

  # One version, kept in erlang/cnif.app.src (make and rebar3 read it too).
  {:ok, [{:application, :cnif, app}]} = :file.consult(Path.join(__DIR__, "erlang/cnif.app.src"))
  @app app

  def project do
    [
      app: :cnif,
      version: to_string(@app[:vsn]),
      elixir: "~> 1.14",
      description: to_string(@app[:description]),
      compilers: [:cnif_lib] ++ Mix.compilers(),
      erlc_paths: ["erlang"],
      erlc_include_path: "include",
      elixirc_paths: ["elixir"],
      aliases: [test: &make_test/1],
      deps: []
    ]
  end

  # cnif's suites are built and run by make: `mix test` here is `make test`.
  defp make_test(_args) do
    status = Mix.shell().cmd("make test")
    if status != 0, do: Mix.raise("make test failed (exit status #{status})")
  end

  def application do
    [registered: @app[:registered]]
  end
end
