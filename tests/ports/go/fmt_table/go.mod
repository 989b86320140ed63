module gofer/tests/fmt_table

go 1.19
