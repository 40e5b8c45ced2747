from . import interop_bench_record
