/* iso_ex.c -- fault_ex.c as the library of the Elixir module IsoEx
** (test/elixir/iso_ex.ex), which is isolated with `use Cnif, isolated:`. */
#define FAULT_EX_MODULE "Elixir.IsoEx"
#include "fault_ex.c"
