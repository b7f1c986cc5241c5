"""Crash test: kill -9 the server during a stream of writes from several
clients, restart it, and verify that `archportal check` passes and every
write that was acknowledged is there."""
import signal
import threading
import time

from harness import Server, cli, run


def writer(srv, tok, org, acked, stop, n):
    i = 0
    while not stop.is_set():
        i += 1
        body = {'kind': 'information_system', 'owner': org, 'stage': 'creation',
                'name': {'ru': f'Краш {n}-{i}', 'kk': f'Апат {n}-{i}', 'en': f'Crash {n}-{i}'}}
        try:
            r = srv.request('POST', '/api/v1/objects', body, token=tok, timeout=5)
        except OSError:
            return
        if r.status == 201:
            acked.append(r.json()['id'])


def test_kill9_during_writes_loses_nothing_acknowledged():
    srv = Server().start()
    try:
        tok = srv.token()
        org = srv.request('POST', '/api/v1/organizations', {
            'kind': 'organization', 'name': {'ru': 'Орг'}, 'bin': '000140000002',
            'org_type': 'central_state_body'}, token=tok).json()['id']
        acked, stop = [], threading.Event()
        threads = [threading.Thread(target=writer, args=(srv, tok, org, acked, stop, n))
                   for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        assert len(acked) > 20, f'only {len(acked)} writes before the kill'
        check = cli(srv.data, 'check', check=False)
        assert check.returncode == 0, check.stdout.decode()
        srv2 = Server(data_dir=srv.data)
        srv2.port = srv.port
        srv2.start()
        try:
            missing = [i for i in acked if srv2.get(f'/api/v1/objects/{i}', token=tok).status != 200]
            assert not missing, f'{len(missing)} acknowledged writes lost'
            total = srv2.get(f'/api/v1/objects?owner={org}&limit=1', token=tok).json()['total']
            assert total >= len(acked)
        finally:
            srv2.stop()
    finally:
        srv.cleanup()


if __name__ == '__main__':
    run([test_kill9_during_writes_loses_nothing_acknowledged])
