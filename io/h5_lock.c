/* placeholder */ typedef int strata_placeholder_h5_lock;
