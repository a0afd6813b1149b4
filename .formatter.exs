# `defnif add(a, b)` reads as a definition: projects that use cnif get this
# with `import_deps: [:cnif]` in their own .formatter.exs.
export = [locals_without_parens: [defnif: 1]]

[
  inputs: ["{mix,.formatter}.exs", "elixir/**/*.ex"],
  locals_without_parens: export[:locals_without_parens],
  export: export
]
