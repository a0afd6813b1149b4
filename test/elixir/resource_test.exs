# resource_test.exs -- resources as Elixir code sees them: references that
# carry C state, a type-checked ArgumentError for anything else, zero-copy
# binaries, and calls from one NIF library into another's resources
# (the NIFs of test/nifs/res_guide.c, res_nif.c and res_caller.c).
defmodule ResourceTest do
  use ExUnit.Case, async: true

  @header "errors were found at the given arguments:\n\n"

  test "a resource is a reference that carries its C struct" do
    config = :res_guide.config_new("primary", 3)
    assert is_reference(config)
    assert :res_guide.config_retries(config) == 3
    assert :res_guide.config_name(config) == "primary"
  end

  test "a resource of another type is an ArgumentError naming the type" do
    lease = :res_guide.lease_new()
    got = :io_lib.format(~c"~0tP", [lease, 20]) |> to_string()

    assert Exception.message(assert_raise(ArgumentError, fn -> :res_guide.config_retries(lease) end)) ==
             @header <> "  * 1st argument: expected a config resource, got: #{got}\n"

    assert Exception.message(assert_raise(ArgumentError, fn -> :res_nif.counter_total([lease]) end)) ==
             @header <> "  * 1st argument: [0]: expected a counter resource, got: #{got}\n"
  end

  test "another library's dynamic call reaches the counter" do
    counter = :res_nif.counter_new(1, :quiet)
    assert :res_caller.call_add("res_nif", "counter", counter, 41) == {:ok, 42}
    assert :res_nif.counter_get(counter) == 42
    assert :res_caller.call_add("res_nif", "gauge", counter, 1) == false
  end
end
