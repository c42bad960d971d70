#ifndef CIRCUITRY_COPENMPI_SHIM_H
#define CIRCUITRY_COPENMPI_SHIM_H
// Open MPI's C interface (Debian libopenmpi-dev). MPI's predefined handles are macros that cast addresses of
// library globals, which Swift cannot import; these one-line accessors hand them over. Nothing else lives here.
#include <mpi.h>

static inline MPI_Comm circuitry_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype circuitry_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Status *circuitry_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int circuitry_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int circuitry_mpi_any_tag(void) { return MPI_ANY_TAG; }
#endif
