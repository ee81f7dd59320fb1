/* The file convention of an imported table (docs/FORMAT.md), shared by the
 * importer that writes it and the readers (io/source_h5.c,
 * io/categorical.c, io/csv_export.c).
 *
 *   <group>                   the table; the root "/" unless --group says
 *     @strata_format          "strata-table"
 *     @strata_format_version  1 (uint32)
 *     @strata_rows            rows (uint64)
 *     @strata_source          the CSV file's name
 *     <column>                one 1-D chunked, shuffled+deflated dataset per
 *                             column, all of the same length, in CSV order
 *                             (the group tracks link creation order)
 *       @strata_type          "int" | "float" | "bool" | "date" | "categorical"
 *       @strata_role          "id" on identifier columns (absent otherwise)
 *       @strata_missing       missing values (uint64)
 *     .strata_dict/           a subgroup, never mistaken for a column
 *       <column>              1-D variable-length UTF-8 strings: the
 *                             dictionary of categorical column <column>;
 *                             code c is element c
 *
 * Storage: int -> int8/16/32/64 (float32/64 with NaN when values are
 * missing); float -> float64, NaN = missing; bool -> uint8 0/1 (float32
 * with NaN when missing); date -> float64 days since 1970-01-01 UTC
 * (fractional for a time of day), NaN = missing; categorical -> int32
 * codes, -1 = missing.
 *
 * A dataset without @strata_type is numeric (any HDF5 integer or float
 * type), as files written by other tools are read. */
#ifndef STRATA_IO_TABLE_FORMAT_H
#define STRATA_IO_TABLE_FORMAT_H

#define STRATA_ATTR_FORMAT "strata_format"
#define STRATA_ATTR_FORMAT_VERSION "strata_format_version"
#define STRATA_ATTR_ROWS "strata_rows"
#define STRATA_ATTR_SOURCE "strata_source"
#define STRATA_ATTR_TYPE "strata_type"
#define STRATA_ATTR_ROLE "strata_role"
#define STRATA_ATTR_MISSING "strata_missing"
#define STRATA_FORMAT_NAME "strata-table"
#define STRATA_FORMAT_VERSION 1u
#define STRATA_ROLE_ID "id"
#define STRATA_DICT_GROUP ".strata_dict"
#define STRATA_CATEGORICAL_MISSING (-1)

#endif
