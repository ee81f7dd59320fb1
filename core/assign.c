/* placeholder */ typedef int strata_placeholder_assign;
