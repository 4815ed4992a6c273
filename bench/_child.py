"""Shared by the bench scripts: run a `scrapy` command in a child that writes its own peak memory.

`ru_maxrss` of a large parent (or Scrapy's `memusage/max`) reports the parent's RSS at fork; the child's own
VmHWM, written when it exits into the file named by BENCH_HWM_FILE, is what the command really used.
"""

SCRAPY_CHILD = ("import atexit, os, sys\n"
                "def _hwm():\n"
                "    with open('/proc/self/status') as f, open(os.environ['BENCH_HWM_FILE'], 'w') as out:\n"
                "        out.write(next(line.split()[1] for line in f if line.startswith('VmHWM')))\n"
                "atexit.register(_hwm)\n"
                "sys.argv = ['scrapy', *sys.argv[1:]]\n"
                "from scrapy.cmdline import execute\n"
                "execute()\n")
