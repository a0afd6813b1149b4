%% @NAME@ -- NIFs written in C with cnif (c_src/@NAME@_nif.c).
%%
%% The -cnif_nifs attribute is the whole Erlang side: cnif's parse
%% transform loads priv/@NAME@.so when this module loads and generates, for
%% each F/A, the NIF stub F_nif/A and the exported wrapper F/A, which turns
%% a bad argument into error:badarg with error_info (the shell then prints
%% which argument is wrong and why).
-module(@NAME@).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, mean/1]).

-spec add(integer(), integer()) -> integer().
-spec mean([number(), ...]) -> float().
