%% res_guide -- the Erlang side of test/nifs/res_guide.c, the example
%% module of docs/resources.md.
-module(res_guide).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([config_new/2, config_alive/0, config_retries/1, config_name/1,
            config_set_default/1, config_clear_default/0, config_default/0,
            lease_new/0, lease_take/1]).
