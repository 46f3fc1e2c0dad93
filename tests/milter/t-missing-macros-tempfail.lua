-- t-missing-macros-tempfail: an MTA that sends no macros at all cannot be
-- told apart from a plaintext session: with on_missing_macros: tempfail
-- (the default) every MAIL is deferred, never rejected, and the
-- configuration error is logged loudly but at most once a minute.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-missing-macros-tempfail", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.example.net", "198.51.100.22", {})
H.helo(t, conn, "mx.example.net", nil)
for i = 1, 2 do
	H.expect_code(t, H.mail(t, conn, "<alice@reject.example>", {}), SMFIR_REPLYCODE,
		"MAIL FROM " .. i .. " without macros")
end
H.check_log(t, "NOQUEUE: tlspolicy: client=mx.example.net[198.51.100.22] helo=mx.example.net " ..
	"sender=<alice@reject.example> partner=none selector=missing_macros")
H.check_log(t, "verdict=temperror reasons=missing-macros action=defer")
H.check_log(t, "the MTA sent no milter macros for client [198.51.100.22]")
H.check_log(t, "milter_connect_macros = j {daemon_name} v")
H.check(t, H.count(t, "the MTA sent no milter macros") == 1,
	"the configuration warning must be rate limited")
H.check(t, H.count(t, "verdict=temperror") == 2, "one decision line per MAIL")
mt.disconnect(conn)
