"""A training script configured as OmegaConf's documentation shows ("Merging configurations" / "from_cli"):
a YAML file merged with overrides from the command line (`model.max_depth=6 optimizer.lr=0.05`)."""
from omegaconf import OmegaConf
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

base_conf = OmegaConf.load("config.yaml")
cli_conf = OmegaConf.from_cli()
conf = OmegaConf.merge(base_conf, cli_conf)
print(OmegaConf.to_yaml(conf.model))

X, y = load_wine(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=conf.data.split, random_state=conf.data.seed)
model = RandomForestClassifier(n_estimators=conf.model.n_estimators, max_depth=conf.model.max_depth, random_state=0)
model.fit(X_train, y_train)
print(conf.run_name, "val accuracy", round(accuracy_score(y_val, model.predict(X_val)), 6))
