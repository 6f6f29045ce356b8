"""The ceiling: the least a webhook endpoint can do, on the same framework and server.

A bare Flask app whose one route reads the raw body, checks a Stripe-style HMAC-SHA256
signature (``t=…,v1=…`` over ``"{t}.{body}"``) in constant time, parses the JSON and answers a
small JSON body. It is served by gunicorn with the same settings as the real app, so the ratio
of a scenario to it measures what the billing service adds: storage, domain, logging, metrics.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from flask import Flask, jsonify, request

SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_bench").encode()

app = Flask("ceiling")


@app.post("/billing/webhooks/stripe/")
def webhook() -> tuple[object, int]:
    body = request.get_data(cache=False)
    header = request.headers.get("Stripe-Signature", "")
    fields = dict(item.partition("=")[::2] for item in header.split(","))
    signed = fields.get("t", "").encode() + b"." + body
    expected = hmac.new(SECRET, signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("v1", "")):
        return jsonify({"code": "invalid_signature"}), 400
    event = json.loads(body)
    return jsonify({"event_id": event["id"], "outcome": "processed"}), 200
