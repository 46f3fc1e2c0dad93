-- t-hostile-macros: CR, LF, '%', 8-bit bytes and very long strings in
-- {cipher}, {cert_subject}, the HELO name and the sender never break the
-- tag header or the log line: each stays one line, unsafe bytes become
-- '?', long values are cut and marked "...".  A hostile certificate
-- subject that starts with the wanted name does not match it.
-- (miltertest itself caps a macro or HELO at about 1,000 bytes.)
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-hostile-macros", H.policy("hostile.yaml"))

-- session - one message from HELO name with the given TLS macros; returns conn
local function session(helo, cipher, sender, subject)
	local conn = H.open(t)
	local tls = { "{tls_version}", "TLSv1.2", "{cipher}", cipher, "{cipher_bits}", "256" }
	if subject ~= nil then
		tls = H.concat(tls, { "{cert_subject}", subject, "{cert_issuer}", "Test CA" })
	end
	H.connect(t, conn, "mx.tag.example", "198.51.100.20")
	H.helo(t, conn, helo, tls)
	H.message(t, conn, sender, "<bob@example.org>")
	return conn
end

-- CR, LF and '%' in the cipher, the HELO name and the sender.
local conn = session("evil\r\nX-Injected: 1 %s", "AES256-GCM-SHA384\r\nX-Injected: yes %n",
	"<a%s\r\n\255@tag.example>")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384??X-Injected:?yes??n; bits=256; pfs=unknown; " ..
	"reasons=unknown-cipher; action=tag")
H.check_log(t, "helo=evil??X-Injected:?1??s sender=<a?s???@tag.example> partner=tagger " ..
	"selector=sender_domains:tag.example tls=TLSv1.2 cipher=AES256-GCM-SHA384??X-Injected:?yes??n " ..
	"bits=256 pfs=unknown verdict=fail reasons=unknown-cipher action=tag")
mt.disconnect(conn)

-- Very long values are cut to their caps.
conn = session(string.rep("h", 900), string.rep("C", 900),
	"<" .. string.rep("s", 900) .. "@tag.example>")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=" .. string.rep("C", 61) .. "...; bits=256; pfs=unknown; " ..
	"reasons=unknown-cipher; action=tag")
H.check_log(t, "helo=" .. string.rep("h", 252) .. "... sender=<" .. string.rep("s", 252) ..
	"...> partner=tagger")
mt.disconnect(conn)

-- Non-UTF-8 bytes, and a certificate subject that smuggles a header
-- behind the wanted name: it must not count as that name.
conn = session("h\255\254", "ECDHE-RSA-AES256-GCM-SHA384\255\254", "<x@cert.example>",
	"mx.cert.example\r\nX-Injected: 1%s\255")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=certs; tls=TLSv1.2; " ..
	"cipher=ECDHE-RSA-AES256-GCM-SHA384??; bits=256; pfs=yes; reasons=cert-mismatch; action=tag")
H.check_log(t, "helo=h?? sender=<x@cert.example> partner=certs")
mt.disconnect(conn)

-- A subject of nothing but 8-bit bytes.
conn = session("h", "ECDHE-RSA-AES256-GCM-SHA384", "<x@cert.example>", string.rep("\255", 900))
H.check_tag(t, conn, "mx.test; verdict=fail; partner=certs; tls=TLSv1.2; " ..
	"cipher=ECDHE-RSA-AES256-GCM-SHA384; bits=256; pfs=yes; reasons=cert-mismatch; action=tag")
mt.disconnect(conn)

-- Every log line is one of ours: nothing injected a line, a '%' or an 8-bit byte.
H.check(t, H.wait_count(t, "tlspolicy: client=", 4), "want 4 decision log lines")
for line in string.gmatch(H.read(t.log), "([^\n]*)\n") do
	H.check(t, string.find(line, "^tlspolicy%-milter: ") ~= nil, "foreign log line: " .. line)
	H.check(t, string.find(line, "[%%\r\128-\255]") == nil, "unsafe byte in log line: " .. line)
end
