-- t-reload-bad-yaml-keeps-old: a policy file that does not load is
-- reported with its diagnostics, and the milter keeps serving with the
-- policy it had; fixing the file and signalling again takes effect.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local policy = H.copy_policy("partners.yaml", "t-reload-bad-yaml-keeps-old.yaml")
local t = H.start("t-reload-bad-yaml-keeps-old", policy)

H.write(policy, "version: 1\npartners:\n  - name: [unclosed\n")
H.signal(t, "USR1")
H.check_log(t, "reload of " .. policy .. " failed")
H.check_log(t, policy .. ":")

local conn = H.open(t)
H.connect(t, conn, "mx.tag.example", "198.51.100.51")
H.helo(t, conn, "mx.tag.example", H.TLS12_RSA)
H.message(t, conn, "<alice@tag.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag")
mt.disconnect(conn)

-- A policy that parses but does not validate is refused the same way.
H.write(policy, "version: 1\nsettings:\n  mode: strict\n")
H.signal(t, "USR1")
H.check(t, H.wait_count(t, "reload of " .. policy .. " failed", 2),
	"second bad reload not reported")
H.check_log(t, "strict")

H.write(policy, H.read(H.policy("partners.yaml")):gsub("authserv_id: mx.test", "authserv_id: mx.fixed"))
H.signal(t, "USR1")
H.check_log(t, "reloaded " .. policy)
conn = H.open(t)
H.connect(t, conn, "mx.tag.example", "198.51.100.51")
H.helo(t, conn, "mx.tag.example", H.TLS12_RSA)
H.message(t, conn, "<alice@tag.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.fixed; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag")
mt.disconnect(conn)
