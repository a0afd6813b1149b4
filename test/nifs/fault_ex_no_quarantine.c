/* fault_ex_no_quarantine.c -- fault_ex.c as the library of the Elixir
** module FaultEx.NoQuarantine (test/elixir/fault_ex.ex), which arms the
** fault barrier with quarantine off. */
#define FAULT_EX_MODULE "Elixir.FaultEx.NoQuarantine"
#include "fault_ex.c"
