"""Each role's home is its to-do list (issue 22): what waits for the user, read from every app
through its public selectors and `ucj.scope`. Top floor: it may import the apps."""
