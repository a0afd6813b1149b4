# How codec failures read from Elixir: the generated wrapper's error_info
# becomes ArgumentError's message, naming the argument and the path in it.
defmodule CodecTest do
  use ExUnit.Case, async: true

  defp message(fun) do
    Exception.message(assert_raise(ArgumentError, fun))
  end

  test "a bad element of a nested list names its path" do
    assert message(fn -> :codec_nif.echo_cnif_array_cnif_array_int64_t([[1], [:x]]) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 1st argument: [1][0]: expected an integer, got: x\n"
  end

  test "a bad map value names its key, and a later argument its position" do
    assert message(fn -> :codec_nif.opts_sum(%{x: 1, y: "2.5"}) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 1st argument: .y: expected a float, got: <<\"2.5\">>\n"

    assert message(fn -> :codec_nif.map_from_lists([:a], [1, 2]) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 2nd argument: expected 1 values, got 2\n"
  end

  test "invalid UTF-8 is shown as its bytes" do
    assert message(fn -> :codec_nif.echo_cnif_str(<<255>>) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 1st argument: expected a UTF-8 string, got: <<255>>\n"
  end
end
