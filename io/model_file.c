/* placeholder */ typedef int strata_placeholder_model_file;
