#!/usr/bin/env python3
"""The plain alternative for similar proposals: jieba + scikit-learn TF-IDF,
an exhaustive cosine over every document, measured on the same real titles
and the same generated distractors as `examples/title_quality.rs`.

    cargo run --release --example title_quality -- --distractors 100000 --dump /tmp/distractors.tsv
    python3 -m venv /tmp/pyb && /tmp/pyb/bin/pip install jieba scikit-learn
    /tmp/pyb/bin/python scripts/title_quality_baseline.py [--distractors /tmp/distractors.tsv]

Each title of a topic holding at least three is asked (title alone) against
every other document; hit@5 and MRR as the Rust example counts them, and the
time per query (in-process, no HTTP)."""
import argparse
import collections
import statistics
import time

import jieba
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

parser = argparse.ArgumentParser()
parser.add_argument("--fixture", default="tests/fixtures/real_proposal_titles.tsv")
parser.add_argument("--distractors", help="title<TAB>body per line, from title_quality --dump")
args = parser.parse_args()

titles = []
for line in open(args.fixture, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    cols = line.rstrip("\n").split("\t")
    titles.append((cols[0], cols[1]))
counts = collections.Counter(topic for topic, _ in titles)
asked = [i for i, (topic, _) in enumerate(titles) if counts[topic] >= 3]

jieba.setLogLevel(60)


def tokens(text):
    return [w for w in jieba.lcut(text) if w.strip()]


def measure(docs):
    vectorizer = TfidfVectorizer(tokenizer=tokens, token_pattern=None, lowercase=False)
    matrix = vectorizer.fit_transform(docs)
    hits, rr, times = 0, 0.0, []
    for i in asked:
        topic = titles[i][0]
        started = time.perf_counter()
        query = vectorizer.transform([titles[i][1]])
        scores = linear_kernel(query, matrix).ravel()
        scores[i] = -1.0
        order = scores.argsort()[::-1][:50]
        times.append((time.perf_counter() - started) * 1000)
        rank = next((r for r, d in enumerate(order) if d < len(titles) and titles[d][0] == topic), None)
        if rank is not None:
            hits += rank < 5
            rr += 1 / (rank + 1)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return hits / len(asked), rr / len(asked), statistics.median(times), p99


print(f"{len(titles)} titles, {len(counts)} topics, "
      f"{sum(1 for n in counts.values() if n >= 3)} with 3 or more; {len(asked)} asked")
print("| set | hit@5 | MRR | query p50 ms | p99 ms |")
print("|---|---|---|---|---|")
h, m, p50, p99 = measure([t for _, t in titles])
print(f"| titles alone | {h:.3f} | {m:.3f} | {p50:.2f} | {p99:.2f} |")
if args.distractors:
    docs = [t for _, t in titles]
    for line in open(args.distractors, encoding="utf-8"):
        title, _, body = line.rstrip("\n").partition("\t")
        docs.append(title + " " + body)
    h, m, p50, p99 = measure(docs)
    print(f"| among {len(docs) - len(titles)} generated proposals | {h:.3f} | {m:.3f} | {p50:.2f} | {p99:.2f} |")
