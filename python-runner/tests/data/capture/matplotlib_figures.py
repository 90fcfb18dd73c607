"""Figures drawn as matplotlib's gallery scripts draw them: pyplot and the object-oriented API, saved with
savefig (PNG and SVG), shown with plt.show(), and one left open when the script ends."""
import matplotlib.pyplot as plt
import numpy as np

t = np.arange(0.0, 2.0, 0.01)
s = 1 + np.sin(2 * np.pi * t)

fig, ax = plt.subplots()
ax.plot(t, s)
ax.set(xlabel="time (s)", ylabel="voltage (mV)", title="About as simple as it gets, folks")
ax.grid()
fig.savefig("test.png")

fig2, (ax1, ax2) = plt.subplots(2, 1)
fig2.suptitle("A tale of 2 subplots")
ax1.plot(t, np.exp(-t) * np.cos(2 * np.pi * t), "o-")
ax2.plot(t, np.cos(2 * np.pi * t), ".-")
fig2.savefig("two_subplots.svg")

for epoch in range(3):           # the same file written again each epoch: one run file, the latest
    plt.figure("history")
    plt.plot(t[: 50 * (epoch + 1)], s[: 50 * (epoch + 1)])
    plt.savefig("history.png")

plt.figure()
plt.hist(np.random.default_rng(0).normal(size=500), bins=30)
plt.title("Histogram of a normal sample")
plt.show()                        # a non-interactive backend shows nothing: every open figure is kept first

fig3, ax3 = plt.subplots()
ax3.bar(["a", "b", "c"], [3, 1, 2])
ax3.set_title("left open")
print("figures drawn:", len(plt.get_fignums()))
