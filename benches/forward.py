#!/usr/bin/env python3
"""Port-forward and shell benchmark: kx beside kubectl on the same simulator, in the same run.

- throughput: 100 MB downloaded through one forward (curl), bytes/s and forwarder CPU per MB;
- requests/s: 50 concurrent keep-alive HTTP connections for a window, and CPU per request;
- shell echo: a key typed into `kx shell` / `kubectl exec -it` (on a pty) to its echo, p50/p99.

Usage: benches/forward.py [--window SECS] [--mb N]   (KX_BIN: another kx to run)
"""
import argparse, os, pty, re, select, socket, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KX = os.environ.get("KX_BIN", os.path.join(ROOT, "target/release/kx"))
HZ = os.sysconf("SC_CLK_TCK")


def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, secs=30):
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on {port}")


def throughput(port, pid, mb):
    before = cpu_secs(pid)
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download} %{size_download}",
         f"http://127.0.0.1:{port}/bytes/{mb * 1024 * 1024}"],
        capture_output=True, text=True, check=True).stdout.split()
    speed, size = float(out[0]), int(out[1])
    assert size == mb * 1024 * 1024, f"short download: {size}"
    return speed, (cpu_secs(pid) - before) / mb


def requests_per_sec(port, pid, window, conns=50):
    counts = [0] * conns
    stop = time.time() + window
    req = b"GET / HTTP/1.1\r\nhost: bench\r\n\r\n"

    def client(i):
        s = socket.create_connection(("127.0.0.1", port))
        buf = b""
        while time.time() < stop:
            s.sendall(req)
            # One response: headers, then content-length bytes of body.
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
            while len(buf) < length:
                buf += s.recv(65536)
            buf = buf[length:]
            counts[i] += 1
        s.close()

    before = cpu_secs(pid)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(counts)
    return total / window, (cpu_secs(pid) - before) / max(total, 1) * 1e6


def echo_times(cmd, env, samples=200):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(cmd[0], cmd, env)
    out = b""
    deadline = time.time() + 30
    while b"# " not in out:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            out += os.read(fd, 4096)
        if time.time() > deadline:
            sys.exit(f"no prompt from {cmd}: {out!r}")
    times = []
    for i in range(samples):
        ch = b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1]
        t0 = time.perf_counter()
        os.write(fd, ch)
        got = b""
        while ch not in got:
            r, _, _ = select.select([fd], [], [], 5)
            if not r:
                sys.exit("no echo in 5 s")
            got += os.read(fd, 4096)
        times.append((time.perf_counter() - t0) * 1000)
        if i % 50 == 49:
            os.write(fd, b"\x03")  # a fresh line now and then
            time.sleep(0.05)
            try:
                os.read(fd, 4096)
            except OSError:
                pass
    os.write(fd, b"\x03exit\r")
    time.sleep(0.3)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--mb", type=int, default=100)
    args = ap.parse_args()
    d = tempfile.mkdtemp()
    kc = os.path.join(d, "kc")
    sim = subprocess.Popen([KX, "sim", "--kubeconfig-out", kc], stdout=subprocess.PIPE, text=True)
    while "ready" not in (sim.stdout.readline() or "ready"):
        pass
    env = dict(os.environ, KUBECONFIG=kc, KUBECACHEDIR=os.path.join(d, "cache"), NO_COLOR="1",
               KX_CONFIG_DIR=os.path.join(d, "cfg"))
    subprocess.run(["kubectl", "wait", "-n", "shop", "--for=condition=Ready", "pod", "-l", "app=web",
                    "--timeout=60s"], env=env, check=True, capture_output=True)
    pod = subprocess.run(["kubectl", "get", "pods", "-n", "shop", "-l", "app=web", "-o",
                          "jsonpath={.items[0].metadata.name}"], env=env, check=True,
                         capture_output=True, text=True).stdout
    kx_port, kc_port = free_port(), free_port()
    forwarders = {
        "kx": subprocess.Popen([KX, "port-forward", "-n", "shop", f"pod/{pod}", f"{kx_port}:80"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        "kubectl": subprocess.Popen(["kubectl", "port-forward", "-n", "shop", f"pod/{pod}",
                                     f"{kc_port}:80"], env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL),
    }
    ports = {"kx": kx_port, "kubectl": kc_port}
    try:
        for name, port in ports.items():
            wait_listening(port)
        results = {}
        for name, port in ports.items():
            pid = forwarders[name].pid
            speed, cpu_per_mb = throughput(port, pid, args.mb)
            rps, cpu_per_req = requests_per_sec(port, pid, args.window)
            results[name] = (speed, cpu_per_mb, rps, cpu_per_req)
        shells = {
            "kx": [KX, "shell", "-n", "shop", pod],
            "kubectl": ["kubectl", "exec", "-it", "-n", "shop", pod, "--", "sh"],
        }
        for name, cmd in shells.items():
            results[name] += echo_times(cmd, env)
        print(f"{'':8} {'MB/s':>8} {'CPU ms/MB':>10} {'req/s':>8} {'CPU us/req':>11} {'echo p50':>9} {'echo p99':>9}")
        for name, (speed, cpu_mb, rps, cpu_req, p50, p99) in results.items():
            print(f"{name:8} {speed / 1e6:8.1f} {cpu_mb * 1000:10.2f} {rps:8.0f} {cpu_req:11.1f} {p50:8.2f}ms {p99:8.2f}ms")
        k, c = results["kx"], results["kubectl"]
        print(f"kx/kubectl: throughput {k[0] / c[0]:.2f}x, CPU per MB {k[1] / c[1]:.2f}x, "
              f"req/s {k[2] / c[2]:.2f}x, CPU per request {k[3] / c[3]:.2f}x, echo p50 {k[4] / c[4]:.2f}x")
    finally:
        for p in forwarders.values():
            p.kill()
        sim.kill()


if __name__ == "__main__":
    main()
