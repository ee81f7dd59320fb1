/* placeholder */ typedef int strata_placeholder_labels_writer;
