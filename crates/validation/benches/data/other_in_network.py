"""An in-network price-transparency file shaped unlike `document::tic::generate`, for
checking that a speed ratio measured on our generator's files holds on other data
(docs/benchmarks.md): several prices per rate, service codes and modifiers, 800 provider
groups of 1-30 NPIs, non-ASCII text written raw or escaped, escaped quotes, optional
bundled codes; compact or pretty; optionally large items (50-3,000 prices per rate).
Deterministic (seeded). Every document it writes is valid against the CMS 2.1.0 schema.

    python3 other_in_network.py OUT.json MIB [--pretty] [--large-items]
"""
import json
import random
import sys

path, target = sys.argv[1], int(sys.argv[2]) << 20
pretty = "--pretty" in sys.argv[3:]
large = "--large-items" in sys.argv[3:]
rnd = random.Random(20261204)
POS = ["%02d" % c for c in (1, 2, 3, 4, 5, 11, 12, 19, 20, 21, 22, 23, 24, 31, 32, 41,
                            49, 50, 51, 52, 53, 57, 61, 62, 65, 71, 72, 81, 99)]


def price():
    cls = rnd.choice(["professional", "institutional", "both"])
    p = {"negotiated_type": rnd.choice(["negotiated", "derived", "fee schedule", "percentage", "per diem"]),
         "negotiated_rate": round(rnd.uniform(0.5, 90000), rnd.choice([0, 1, 2])) or 1,
         "expiration_date": "20%02d-%02d-%02d" % (rnd.randint(27, 40), rnd.randint(1, 12), rnd.randint(1, 28)),
         "billing_class": cls, "setting": rnd.choice(["inpatient", "outpatient", "both"])}
    if cls == "professional" or rnd.random() < .3:
        p["service_code"] = rnd.sample(POS, rnd.randint(1, 6))
    if rnd.random() < .3:
        p["billing_code_modifier"] = rnd.sample(["25", "26", "TC", "59", "GT", "95"], rnd.randint(1, 3))
    if rnd.random() < .05:
        p["additional_information"] = "Rate \"per unit\"\n see contract \u00a7%d" % rnd.randint(1, 99)
    return p


def group():
    if rnd.random() < .5:
        return {"npi": sorted(rnd.sample(range(1000000000, 9999999999), rnd.randint(1, 30))),
                "tin": {"type": "ein", "value": "%02d-%07d" % (rnd.randint(10, 99), rnd.randint(0, 9999999)),
                        "business_name": "Practice %d" % rnd.randint(1, 9999)}}
    return {"npi": [rnd.randint(1000000000, 9999999999)],
            "tin": {"type": "npi", "value": str(rnd.randint(1000000000, 9999999999))}}


def item(i):
    prices = (50, 3000) if large else (1, 8)
    it = {"negotiation_arrangement": rnd.choice(["ffs", "bundle", "capitation"]), "name": "Service %d" % i,
          "billing_code_type": rnd.choice(["CPT", "HCPCS", "MS-DRG", "RC", "ICD", "CSTM-ALL"]),
          "billing_code_type_version": "2025", "billing_code": "%05d" % rnd.randint(0, 99999),
          "description": "Procedure %d (\u00e9tude)" % i,
          "negotiated_rates": [{"provider_references": rnd.sample(range(1, 801), rnd.randint(1, 12)),
                                "negotiated_prices": [price() for _ in range(rnd.randint(*prices))]}
                               for _ in range(rnd.randint(1, 4))]}
    if rnd.random() < .1:
        it["bundled_codes"] = [{"billing_code_type": "CPT", "billing_code_type_version": "2025",
                                "billing_code": "%05d" % rnd.randint(0, 99999), "description": "Part"}]
    return it


head = {"reporting_entity_name": "Other Generator Health", "reporting_entity_type": "health insurance issuer",
        "plan_name": "Other", "plan_id_type": "ein", "plan_id": "12-3456789", "plan_market_type": "group",
        "issuer_name": "Other", "plan_sponsor_name": "Sponsor", "last_updated_on": "2025-06-01", "version": "1.3.1",
        "provider_references": [{"provider_group_id": k, "network_name": ["Other %d" % (k % 7)],
                                 "provider_groups": [group() for _ in range(rnd.randint(1, 4))]}
                                for k in range(1, 801)]}
indent = 2 if pretty else None
with open(path, "w", encoding="utf-8") as out:
    text = json.dumps(head, indent=indent)
    out.write(text[:-1].rstrip() + ', "in_network": [')
    written, i = len(text), 0
    while written < target:
        s = json.dumps(item(i), indent=indent, ensure_ascii=rnd.random() < .5)
        if i:
            out.write(",")
        out.write(s)
        written += len(s.encode())
        i += 1
    out.write("]}\n")
print(i, "in-network items", file=sys.stderr)
