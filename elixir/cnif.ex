defmodule Cnif do
  @moduledoc """
  An Elixir module whose functions are cnif NIFs written in C.

      defmodule FastMath do
        use Cnif, lib: "fast_math_nif"

        @doc "The sum of two integers."
        @spec add(integer, integer) :: integer
        defnif add(a, b)
      end

  `use Cnif` loads the NIF library when the module is loaded: `priv/LIB.so`
  of the module's application (or beside its `.beam`), where `LIB` is the
  `:lib` option, by default the module's Erlang name (`"Elixir.FastMath"`).
  The library declares the module by that Erlang name:

      CNIF_MODULE_NAMED("Elixir.FastMath", NULL, NULL, NULL)

  Each `defnif name(arg, ...)` declares one function the library exports
  with `CNIF_EXPORT(name, ...)`, once, with the `@doc` and `@spec` written
  above it. It defines

    * `name/N`, the function to call, and
    * `name_nif/N` (private), the NIF itself: it returns a bad
      argument as a value, which `name/N` raises as an `ArgumentError`
      that names the argument, the place inside it and the reason:

          iex> FastMath.add(1, :two)
          ** (ArgumentError) errors were found at the given arguments:

            * 2nd argument: expected an integer, got: :two

  The exception is a plain `:badarg` error to Erlang code. A panic in C
  (`cnif_panic`, a failed `CNIF_ASSERT`) raises an `ErlangError` whose
  `original` is `{:nif_panicked, %{message: binary, phase: atom, location:
  "file.c:LINE"}}`; a term raised with `cnif_raise` arrives as itself, so a
  raised exception struct is that exception.

  A name ending in `!` or `?` is exported in C with
  `CNIF_EXPORT_NAMED("fetch!", fetch, ...)`. The module's own `@on_load`
  runs after the library has loaded.

  `Mix.Tasks.Compile.Cnif` builds the library; see docs/mix.md.
  """

  # The module of isolated mode; nil in the copy of this file that
  # scripts/vendor makes, whose Erlang side has no isolated mode.
  @isolated_mode :cnif_isolated

  @doc """
  Makes the module a cnif NIF module.

  ## Options

    * `:lib` - the library's file name in `priv/`, without `.so`
      (default: the module's Erlang name, e.g. `"Elixir.FastMath"`)
    * `:otp_app` - the application whose `priv/` holds the library while
      the module has no `.beam` file yet: Elixir's compiler loads a module
      before writing it (default: the Mix project's application)
    * `:fault_barrier` - `true` arms the fault barrier: a segfault, abort
      or stack overflow in a call raises `{:nif_crashed, map}` instead of
      killing the VM, and quarantines the library (see docs/faults.md)
    * `:quarantine` - `false` lets the library go on running after such a
      fault (default: `true`)
    * `:load_data` - the `load_info` of the library's load and upgrade
      hooks: a term, or a function of no arguments called for it,
      evaluated when the module loads (`load_data: &config_path/0`);
      default `0`
    * `:isolated` - runs the calls in a pool of worker BEAMs, each of which
      loads the library, so that a crash, a hang or a leak costs a worker
      and never this node: `isolated: [workers: 4, timeout: 5_000]`, with
      `:workers`, `:timeout` (ms), `:max_memory` (bytes) and `:nodes`
      (see docs/isolation.md). The operator's `:cnif.isolate/2` wins.

  The last two are load options (`:cnif.load_info/3`): given here they
  override the library's own defaults, and the operator's
  (`:cnif.set_load_options/2`) override them.
  """
  defmacro __using__(opts) do
    # Evaluated when the module loads, not when it compiles: a path into
    # priv/ is the running system's.
    {load_data, opts} = Keyword.pop(opts, :load_data, 0)

    quote do
      import Cnif, only: [defnif: 1]
      {lib, app, load_options, isolated} = Cnif.__options__(__MODULE__, unquote(opts))
      @cnif_lib lib
      @cnif_app app
      @cnif_load_options load_options
      @cnif_isolated isolated
      Module.register_attribute(__MODULE__, :cnif_nifs, accumulate: true)
      @before_compile Cnif
      # -nifs([...]): the functions the library may replace, and no others.
      # Elixir 1.15 and later write @nifs into the module themselves (a
      # persisted one would be a second -nifs); before, only if persisted.
      Module.register_attribute(__MODULE__, :nifs,
        accumulate: true,
        persist: Version.match?(System.version(), "< 1.15.0")
      )

      # erlang:load_nif/2 must be called from the module itself. An
      # isolated module loads no library here (:cnif_isolated).
      defp __cnif_load__ do
        with :in_process <- unquote(isolated_on_load()) do
          case Cnif.__path__(__MODULE__, @cnif_lib, @cnif_app) do
            {:ok, path} ->
              :cnif.load_result(
                :erlang.load_nif(
                  :cnif.load_path(path),
                  :cnif.load_info(
                    __MODULE__,
                    Cnif.__load_data__(unquote(load_data)),
                    @cnif_load_options,
                    for({name, arity, _} <- Enum.reverse(@cnif_nifs), do: {name, arity})
                  )
                )
              )

            error ->
              error
          end
        end
      end

      # Replaced by the library only in a worker of an isolated module
      # (:cnif_worker): there, the resources a term holds.
      @nifs [{:"$cnif_resources", 1}]
      @doc false
      def unquote(:"$cnif_resources")(_term), do: []
    end
  end

  @doc """
  Declares the NIF `name/N` the library exports as `CNIF_EXPORT(name, ...)`.

  The arguments are plain variable names. `@doc`, `@spec` and other
  function attributes written above `defnif` belong to `name/N`.
  """
  defmacro defnif(call) do
    {name, args} = decompose(call, __CALLER__)
    nif = :"#{name}_nif"
    arity = length(args)

    quote do
      @nifs [{unquote(nif), unquote(arity)}]
      @cnif_nifs {unquote(name), unquote(arity), unquote(__CALLER__.line)}

      # A bad argument comes back as a value (testing a tag costs less
      # than a try); raise it as :badarg with EEP-54 error_info if it
      # carries the module's secret (see :cnif.load_info/2), read straight
      # from its persistent term: a returned value of the same shape is
      # just a value.
      def unquote(name)(unquote_splicing(args)) do
        case unquote(nif)(unquote_splicing(args)) do
          {:"$cnif_badarg", secret, arg_no, path, reason} = result ->
            case :persistent_term.get({:cnif_secret, __MODULE__}, :undefined) do
              ^secret ->
                :erlang.error(:badarg, unquote(args),
                  error_info: %{module: Cnif.Error, cause: {arg_no, path, reason}}
                )

              _ ->
                result
            end

          result ->
            result
        end
      end

      # Until the library replaces it: the call on a worker if the module
      # is isolated, else {:not_loaded, module}. Private: callers use name.
      unquote(stub(nif, args))
    end
  end

  # What the on_load does before loading the library: ask isolated mode
  # whether to load it here.
  defp isolated_on_load do
    if @isolated_mode do
      quote do: unquote(@isolated_mode).on_load(__MODULE__, @cnif_isolated)
    else
      :in_process
    end
  end

  defp stub(nif, args) do
    if @isolated_mode do
      quote do
        defp unquote(nif)(unquote_splicing(args)) do
          unquote(@isolated_mode).call(__MODULE__, unquote(nif), unquote(args))
        end
      end
    else
      unused = Enum.map(args, fn {name, meta, context} -> {:"_#{name}", meta, context} end)

      quote do
        defp unquote(nif)(unquote_splicing(unused)), do: :erlang.nif_error({:not_loaded, __MODULE__})
      end
    end
  end

  @doc false
  # Runs the module's own @on_load after the library's load, and gives a
  # worker of an isolated module its door to the private NIF stubs
  # (:cnif_worker). A function defined over a defnif is refused.
  defmacro __before_compile__(env) do
    module = env.module
    nifs = Enum.reverse(Module.get_attribute(module, :cnif_nifs))

    # The one clause defnif made, and one at another line.
    for {name, arity, line} <- nifs,
        {:v1, _, _, [_, _ | _] = clauses} <- [Module.get_definition(module, {name, arity})],
        {meta, _, _, _} <- Enum.take(Enum.reject(clauses, &(elem(&1, 0)[:line] == line)), 1) do
      raise CompileError,
        file: env.file,
        line: meta[:line],
        description: "#{name}/#{arity} is defined by defnif (line #{line}): remove this definition"
    end

    on_load =
      case Module.get_attribute(module, :on_load) do
        nil ->
          :ok

        {fun, 0} ->
          Module.delete_attribute(module, :on_load)
          quote do: unquote(fun)()
      end

    Module.put_attribute(module, :on_load, :"$cnif_on_load")

    calls =
      for {name, arity, _} <- nifs do
        args = Macro.generate_arguments(arity, __MODULE__)
        nif = :"#{name}_nif"

        quote do
          def unquote(:"$cnif_call")(unquote(nif), unquote(args)),
            do: unquote(nif)(unquote_splicing(args))
        end
      end

    # Public: Elixir 1.14 drops a private function that only the @on_load
    # function calls, as the user's @on_load now is.
    quote do
      @doc false
      def unquote(:"$cnif_on_load")() do
        with :ok <- __cnif_load__(), do: unquote(on_load)
      end

      @doc false
      unquote(calls)
    end
  end

  @doc false
  # The load data: a function of no arguments is called for it.
  def __load_data__(fun) when is_function(fun, 0), do: fun.()
  def __load_data__(data), do: data

  defp decompose(call, caller) do
    {name, args} =
      case call do
        {name, _, context} when is_atom(name) and is_atom(context) -> {name, []}
        _ -> with :error <- Macro.decompose_call(call), do: invalid(call, caller)
      end

    Enum.each(args, fn
      {arg, _, context} when is_atom(arg) and is_atom(context) -> :ok
      _ -> invalid(call, caller)
    end)

    {name, args}
  end

  defp invalid(call, caller) do
    raise CompileError,
      file: caller.file,
      line: caller.line,
      description:
        "defnif expects a name and plain argument names, like `defnif add(a, b)`, " <>
          "got: #{Macro.to_string(call)}"
  end

  @doc false
  # The library's file name, the application to look for it in, the load
  # options and the isolation options.
  def __options__(module, opts) do
    opts =
      Keyword.validate!(opts, [:fault_barrier, :quarantine, :isolated, lib: Atom.to_string(module), otp_app: mix_app()])

    load_options = Map.new(Keyword.take(opts, [:fault_barrier, :quarantine]))

    case {opts[:lib], opts[:otp_app]} do
      {lib, _} when not is_binary(lib) or lib == "" ->
        raise ArgumentError, "use Cnif: :lib must be a file name, got: #{inspect(lib)}"

      {_, app} when not is_atom(app) ->
        raise ArgumentError, "use Cnif: :otp_app must be an atom, got: #{inspect(app)}"

      {lib, app} ->
        Enum.each(load_options, fn
          {_, value} when is_boolean(value) -> :ok
          {key, value} -> raise ArgumentError, "use Cnif: #{inspect(key)} must be a boolean, got: #{inspect(value)}"
        end)

        {lib, app, load_options, isolated(opts[:isolated])}
    end
  end

  # The isolation options as :cnif_isolated takes them: undefined if none.
  defp isolated(nil), do: :undefined
  defp isolated(false), do: false

  defp isolated(options) when is_list(options), do: isolated_check(options)

  defp isolated(options) do
    raise ArgumentError,
          "use Cnif: :isolated must be false or a keyword list, got: #{inspect(options)}"
  end

  # Checked by the module of isolated mode, which a vendored copy has not.
  # One definition or the other, chosen as the file is compiled: a clause
  # for each would leave one that never matches, which Elixir warns of.
  if @isolated_mode do
    defp isolated_check(options) do
      @isolated_mode.check_options(Map.new(options))
    rescue
      _ in [ArgumentError, ErlangError] ->
        raise ArgumentError,
              "use Cnif: :isolated must be false or a keyword list of workers, timeout, " <>
                "max_memory and nodes, got: #{inspect(options)}"
    end
  else
    defp isolated_check(options) do
      raise ArgumentError,
            "use Cnif: :isolated needs the cnif application, which this vendored copy " <>
              "does not include: depend on cnif, or remove the option, got: #{inspect(options)}"
    end
  end

  # Compiled by Mix (not plain elixirc), in a project.
  defp mix_app do
    if Process.whereis(Mix.ProjectStack) && Mix.Project.get(), do: Mix.Project.config()[:app]
  end

  @doc false
  # Where the library is: by the module's .beam (see :cnif.priv_path/2),
  # else, while the compiler loads a module it has not written yet, in its
  # application's priv/. The reporter of failures with no caller must run
  # before the library can report any.
  def __path__(module, lib, app) do
    :ok = :cnif_reporter.ensure_started()

    case :cnif.priv_path(module, String.to_charlist(lib)) do
      {:error, {:cnif_module_not_found, _, _}} = error when app != nil ->
        with dir when is_list(dir) <- :code.priv_dir(app),
             path = Path.join(dir, lib),
             true <- File.regular?(path <> ".so") do
          {:ok, String.to_charlist(path)}
        else
          _ -> error
        end

      found ->
        found
    end
  end
end
