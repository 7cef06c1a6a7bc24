from tests.test_placements_views import *
def test_dbg(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    login(auth, phase.host_x)
    html = page(client.get(f"/company/offers/{phase.a.id}/candidates"))
    i = html.find("ranking-help"); print(html[i:i+700])
