/* placeholder */ typedef int strata_placeholder_pass;
