/* placeholder */ typedef int strata_placeholder_cursor;
