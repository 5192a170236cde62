"""``python -m benchmarks._compile_profile ARGS``: the simulate command ARGS, timing numba's compilation per kernel.

Prints one JSON object: ``wall`` (seconds, imports included) and ``compile`` (kernel to
seconds spent compiling it, from numba's compile events; a kernel called from another
is compiled inside its caller's time too, so the entries overlap: ``top_level`` sums
only the kernels called from Python).
"""

import json
import sys
import time

from numba.core import event


def main(argv):
    start = time.perf_counter()
    with event.install_recorder("numba:compile") as recorder:
        from linparity import simulate

        code = simulate.main(argv)
    wall = time.perf_counter() - start
    opened, seconds, depth, top = {}, {}, 0, 0.0
    for stamp, ev in recorder.buffer:
        func = ev.data["dispatcher"].py_func
        name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"
        key = (name, str(ev.data["args"]))
        if ev.is_start:
            opened[key] = (stamp, depth)
            depth += 1
        else:
            began, level = opened.pop(key)
            depth -= 1
            seconds[name] = seconds.get(name, 0.0) + stamp - began
            if level == 0:
                top += stamp - began
    ordered = dict(sorted(seconds.items(), key=lambda kv: -kv[1]))
    print(json.dumps({"exit_code": code, "wall": wall, "top_level": top, "compile": ordered}))


if __name__ == "__main__":
    main(sys.argv[1:])
