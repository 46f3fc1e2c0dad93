-- t-reload-good: SIGUSR1 (sent to the PID in the -P file) reloads the
-- policy; the next message uses the new one, while a message already
-- under way keeps the policy it started with.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local policy = H.copy_policy("partners.yaml", "t-reload-good.yaml")
local t = H.start("t-reload-good", policy)

local old = H.open(t)
H.connect(t, old, "mx.tag.example", "198.51.100.50")
H.helo(t, old, "mx.tag.example", H.TLS12_RSA)
H.expect_code(t, H.mail(t, old, "<alice@tag.example>"), SMFIR_CONTINUE, "MAIL under the old policy")

H.write(policy, [[
version: 1
settings:
  authserv_id: mx.new
partners:
  - name: tagger
    match:
      sender_domains: [tag.example]
    require:
      pfs: true
    action: reject
]])
H.signal(t, "USR1")
H.check_log(t, "reloaded " .. policy .. ": 1 partners, 1 selectors")

-- The message that started before the reload finishes under the old policy.
H.header(t, old, "From", "alice@tag.example")
H.eom(t, old)
H.check_tag(t, old, "mx.test; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag")
mt.disconnect(old)

local new = H.open(t)
H.connect(t, new, "mx.tag.example", "198.51.100.50")
H.helo(t, new, "mx.tag.example", H.TLS12_RSA)
H.expect_code(t, H.mail(t, new, "<alice@tag.example>"), SMFIR_REPLYCODE,
	"MAIL under the new policy")
H.check_log(t, "partner=tagger selector=sender_domains:tag.example tls=TLSv1.2 " ..
	"cipher=AES256-GCM-SHA384 bits=256 pfs=no verdict=fail reasons=no-pfs action=reject")
H.message(t, new, "<carol@example.net>", "<bob@example.org>")
H.check_tag(t, new, "mx.new; verdict=pass; partner=none; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=-; action=accept")
mt.disconnect(new)
