%% test_command -- running a program, as the suites that build C code do:
%% its exit status and its output (stdout and stderr together), in the C
%% locale so that a compiler's quotes are plain.
-module(test_command).
-export([run/2]).

-spec run(string(), [string()]) -> {non_neg_integer(), string()}.
run(Program, Args) ->
    Exe = os:find_executable(Program),
    true = is_list(Exe),
    Port = open_port({spawn_executable, Exe},
                     [exit_status, stderr_to_stdout, binary,
                      {env, [{"LC_ALL", "C"}]}, {args, Args}]),
    collect(Port, []).

collect(Port, Acc) ->
    receive
        {Port, {data, Data}} -> collect(Port, [Acc, Data]);
        {Port, {exit_status, Status}} -> {Status, unicode:characters_to_list(Acc)}
    end.
