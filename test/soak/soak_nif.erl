%% soak_nif -- the Erlang side of soak_nif.c, compiled once per version
%% (soak.mk): erlc -DLIB='"soak_nif_vN"'. The soak loads the two builds over
%% one another while it runs.
-module(soak_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([version/0, stats/0, probe/2, job_pool/4, job_thread/4, flood/4,
            flood_job/3, ysum/3, res_new/3, res_id/1]).
-cnif_lib(?LIB).
