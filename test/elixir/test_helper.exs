# Loaded before the ExUnit suites: the NIF modules are on the code path
# (-pa build/test/ebin); ExUnit runs the suites when the script ends.
#
# make builds no Elixir: compile cnif's Elixir side and the modules under
# test (test/elixir/*.ex) into the test ebin, where each module's on_load
# finds its library in ../priv. The beams an earlier run left there go
# first: to warn that it redefines a module, the compiler loads the old
# beam (running its on_load), and a module compiled with autoload: false
# would stay that old one.
root = Path.expand("../..", __DIR__)
ebin = Path.expand("../ebin", System.fetch_env!("TEST_PRIV"))
Enum.each(Path.wildcard(Path.join(ebin, "Elixir.*.beam")), &File.rm!/1)
# What UseCnif's load data names (test/elixir/use_cnif.ex).
File.write!(Path.join(System.fetch_env!("TEST_PRIV"), "use_cnif.txt"), "read at load\nnot this\n")

{:ok, _, _} =
  Kernel.ParallelCompiler.compile_to_path(
    [Path.join(root, "elixir/cnif.ex"), Path.join(root, "elixir/cnif/error.ex")] ++
      Path.wildcard(Path.join(__DIR__, "*.ex")),
    ebin,
    # Elixir 1.15 on warns without it; earlier ones ignore it.
    return_diagnostics: true
  )

ExUnit.start(autorun: true)
