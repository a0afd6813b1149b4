# doctest_iex.exs DOC IN OUT -- the Elixir half of doctest.erl: evaluate
# the iex> examples listed in IN (Erlang terms) in one session, in order,
# and write the failures to OUT as an Erlang term:
# [{Line, What, Detail}]. A result is shown as IEx shows it: inspect/2
# (pretty, 80 columns) of a value, "** (Module) message" of an exception.
[doc, input, output] = System.argv()
{:ok, items} = :file.consult(input)

# Maps in the order of their keys, as the docs show them (OTP 25's order;
# from OTP 26 on a map has an order of its own). An ErlangError's message
# is its term, shown so too.
sorted = [custom_options: [sort_maps: true]]

show = fn
  {:ok, value} -> inspect(value, [pretty: true, width: 80] ++ sorted)
  {:error, kind, reason, stack} ->
    case Exception.normalize(kind, reason, stack) do
      %ErlangError{original: original} when not is_exception(original) ->
        "** (ErlangError) Erlang error: " <> inspect(original, sorted)
      %{__exception__: true} = e ->
        "** (" <> inspect(e.__struct__) <> ") " <> String.trim_trailing(Exception.message(e))
      other -> "** (" <> to_string(kind) <> ") " <> inspect(other)
    end
end

{failures, _binding} =
  Enum.reduce(items, {[], []}, fn
    {:syntax, line, code}, {failures, binding} ->
      case {Code.string_to_quoted(code, file: doc, line: line),
            Code.string_to_quoted("[" <> code <> "\n]", file: doc, line: line)} do
        {{:ok, _}, _} -> {failures, binding}
        {_, {:ok, _}} -> {failures, binding}
        {{:error, why}, _} -> {[{line, ~c"the Elixir sample does not parse", String.to_charlist(inspect(why))} | failures], binding}
      end

    {:example, line, code, expected}, {failures, binding} ->
      {result, binding} =
        try do
          {value, binding} = Code.eval_string(code, binding, file: doc, line: line)
          {{:ok, value}, binding}
        catch
          kind, reason -> {{:error, kind, reason, __STACKTRACE__}, binding}
        end

      actual = show.(result)

      if expected == "" or actual == expected do
        {failures, binding}
      else
        detail = "expected:\n    " <> String.replace(expected, "\n", "\n    ") <>
                 "\ngot:\n    " <> String.replace(actual, "\n", "\n    ")
        {[{line, String.to_charlist("iex printed something else for " <> code), String.to_charlist(detail)} | failures], binding}
      end
  end)

File.write!(output, :erlang.term_to_binary(Enum.reverse(failures)))
