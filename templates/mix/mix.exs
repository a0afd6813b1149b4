defmodule @MODULE@.MixProject do
  use Mix.Project

  def project do
    [
      app: :@NAME@,
      version: "0.1.0",
      elixir: "~> 1.14",
      # cnif's compiler builds c_src/NAME.c into priv/NAME.so, before the
      # Elixir modules that load the libraries are compiled.
      compilers: [:cnif] ++ Mix.compilers(),
      start_permanent: Mix.env() == :prod,
      deps: deps()
    ]
  end

  def application do
    [extra_applications: [:logger]]
  end

  defp deps do
    [{:cnif, path: "@CNIF@"}]
  end
end
