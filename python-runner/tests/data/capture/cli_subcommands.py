"""A command-line tool in the style of argparse's documentation ("Sub-commands"): `train` and `evaluate`
subcommands, options shared by a parent parser, parse_known_args for extra flags passed to a library."""
import argparse
import pathlib


def train(args):
    print("train", args.model, args.depth, args.out)


def evaluate(args):
    print("evaluate", args.model, args.split)


parent = argparse.ArgumentParser(add_help=False)
parent.add_argument("--model", choices=["forest", "boosting"], default="forest")

parser = argparse.ArgumentParser(prog="tool")
parser.add_argument("--token", help="access token")
subparsers = parser.add_subparsers(dest="command", required=True)
p_train = subparsers.add_parser("train", parents=[parent])
p_train.add_argument("--depth", type=int, default=3)
p_train.add_argument("--out", type=pathlib.Path, default=pathlib.Path("model.pkl"))
p_train.set_defaults(func=train)
p_eval = subparsers.add_parser("evaluate", parents=[parent])
p_eval.add_argument("--split", default="test")
p_eval.set_defaults(func=evaluate)

args, extra = parser.parse_known_args()
print("extra", extra)
args.func(args)
