# doctest_iex.exs DOC IN OUT -- the Elixir half of doctest.erl: evaluate
# the iex> examples listed in IN (Erlang terms) in one session, in order,
# and write the failures to OUT as an Erlang term:
# [{Line, What, Detail}]. A result is shown as IEx shows it: inspect/2
# (pretty, 80 columns) of a value, "** (Module) message" of an exception.
[doc, input, output] = System.argv()
{:ok, items} = :file.consult(input)

show = fn
  {:ok, value} -> inspect(value, pretty: true, width: 80)
  {:error, kind, reason, stack} ->
    case Exception.normalize(kind, reason, stack) do
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
