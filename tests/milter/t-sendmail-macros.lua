-- t-sendmail-macros: Sendmail spells the session differently from Postfix:
-- {verify} says whether the client certificate verified, certificate names
-- are full DNs in xtext, {client_resolve} says whether the client name is
-- verified, and an old Sendmail reports the version as "TLSv1/SSLv3".
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-sendmail-macros", H.policy("sendmail.yaml"))

local SENDMAIL_CONNECT = { "j", "mx.test", "{daemon_name}", "MTA", "{client_addr}", "198.51.100.30",
	"{client_name}", "mx.sendmail.example", "{client_resolve}", "OK" }

-- tls - Sendmail's HELO macros for a session with a client certificate
local function tls(verify)
	return { "{tls_version}", "TLSv1/SSLv3", "{cipher}", "ECDHE-RSA-AES256-GCM-SHA384",
		"{cipher_bits}", "256", "{alg_bits}", "256", "{verify}", verify,
		"{cert_subject}", "/C=DE/O=Example+20Org/CN=mx.sendmail.example",
		"{cert_issuer}", "/C=DE/O=Example+20Org/CN=Test+20CA" }
end

-- session - connect and HELO as Sendmail would
local function session(connect, helo)
	local conn = H.open(t)
	H.connect(t, conn, "mx.sendmail.example", "198.51.100.30", connect)
	H.helo(t, conn, "mx.sendmail.example", helo)
	return conn
end

-- A verified certificate from the right issuer, for the right name: pass.
local conn = session(SENDMAIL_CONNECT, tls("OK"))
H.message(t, conn, "<alice@example.net>", "<bob@example.org>")
H.check_log(t, "client=mx.sendmail.example[198.51.100.30] helo=mx.sendmail.example " ..
	"sender=<alice@example.net> partner=certpartner selector=client_hosts:mx.sendmail.example")
H.check_log(t, "pfs=yes verdict=pass reasons=- action=accept")
mt.disconnect(conn)

-- The same certificate, but {verify} says FAIL: refused.
conn = session(SENDMAIL_CONNECT, tls("FAIL"))
H.expect_code(t, H.mail(t, conn, "<alice@example.net>"), SMFIR_REPLYCODE,
	"MAIL FROM with an unverified client certificate")
H.check_log(t, "partner=certpartner selector=client_hosts:mx.sendmail.example")
H.check_log(t, "verdict=fail reasons=cert-unverified action=reject")
mt.disconnect(conn)

-- {client_resolve} FORGED: the name is not verified, client_hosts cannot match.
local forged = H.concat(SENDMAIL_CONNECT)
forged[#forged] = "FORGED"
conn = session(forged, tls("FAIL"))
H.message(t, conn, "<carol@example.net>", "<bob@example.org>")
H.check_log(t, "sender=<carol@example.net> partner=none selector=none")
mt.disconnect(conn)

-- "TLSv1/SSLv3" says nothing about the version: a minimum cannot be met.
-- (A forged client name keeps certpartner, first in the file, out of it.)
conn = session(forged, tls("OK"))
H.expect_code(t, H.mail(t, conn, "<dave@old.example>"), SMFIR_REPLYCODE,
	"MAIL FROM a partner with a minimum version, version unknown")
H.check_log(t, "sender=<dave@old.example> partner=versioned selector=sender_domains:old.example")
H.check_log(t, "verdict=fail reasons=unknown-version action=reject")
mt.disconnect(conn)
