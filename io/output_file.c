/* placeholder */ typedef int strata_placeholder_output_file;
