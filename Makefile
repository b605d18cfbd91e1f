# The two commands: `make up` runs the platform locally, `make test` runs the whole test suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SUB ?= alice
ROLE ?= user

.PHONY: help up down status token audit test build format

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

up: ## Start PostgreSQL, RabbitMQ and the six services on loopback (data and logs in .local/)
	@deploy/local/up.sh

down: ## Stop everything make up started (data is kept)
	@deploy/local/down.sh

status: ## Show what of the local stack is running
	@deploy/local/status.sh

DEVTOOL := deploy/local/DevTool/bin/Debug/net10.0/Perspective.DevTool.dll

token: ## Print a development token: make token SUB=alice ROLE=user
	@test -f $(DEVTOOL) || dotnet build deploy/local/DevTool -nologo -v quiet >/dev/null
	@dotnet $(DEVTOOL) token --sub "$(SUB)" --role "$(ROLE)"

audit: ## Check the books of the running stack (make up): one line per check, exit 1 if any fails
	@deploy/local/audit.sh

test: ## Run the whole test suite against real PostgreSQL and RabbitMQ (installs RabbitMQ first when root and missing)
	@deploy/local/test.sh

build: ## Build everything, warnings as errors
	@dotnet build Perspective.Services.sln -nologo -v quiet

format: ## Format the code (dotnet format)
	@dotnet format Perspective.Services.sln
