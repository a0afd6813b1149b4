# Loaded before the ExUnit suites: the NIF modules are on the code path
# (-pa build/test/ebin); ExUnit runs the suites when the script ends.
ExUnit.start(autorun: true)
