"""`make test`: the whole suite in two lanes at once, the browser tests beside everything else.

A browser test spends most of its time waiting: on Chromium, on the app it starts in a
subprocess, on pages to settle. Run one after the other, those waits added minutes to the
suite; beside the other lane they overlap with its own waits on brokers and databases. The
browser lane shares nothing with the other: each of its tests serves its own SQLite copy of
the demo on a free port and drives its own Chromium (databases on PostgreSQL, if a test asks
for one, are per process anyway).

Arguments go to both lanes. The browser lane's report follows the other's; the exit code is
the worse of the two (a lane that selected no test does not count)."""

import subprocess
import sys
import tempfile

NO_TESTS = 5  # pytest's exit code when a selection holds no test


def main(args: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    with tempfile.TemporaryFile() as browser_log:
        browser = subprocess.Popen(
            [*pytest, "-m", "browser", "-p", "no:cacheprovider", *args],
            stdout=browser_log,
            stderr=subprocess.STDOUT,
        )
        try:
            rest = subprocess.call([*pytest, "-m", "not browser", *args])
            browsers = browser.wait()
        finally:
            if browser.poll() is None:
                browser.kill()
        browser_log.seek(0)
        print("\n=== the browser lane (ran beside the tests above) ===", flush=True)
        sys.stdout.buffer.write(browser_log.read())
    codes = [code for code in (rest, browsers) if code != NO_TESTS]
    return max(codes) if codes else NO_TESTS


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
