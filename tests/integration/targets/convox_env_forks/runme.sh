#!/usr/bin/env bash
# Ten forks, each setting its own environment key of one app at the same moment: a barrier hold in
# the emulator parks the ten release creates until all ten have read the environment, so every
# write races every other one (deterministically, not by timing). Every task must end ok, all ten
# keys must be in the active release, and no promoted release may have dropped a key
# (files/check_forks.py reads the emulator's state).
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
"$EMULATOR_PYTHON" ../convox_service/files/seed_app.py myapp ../convox_service/files/convox.yml >/dev/null
"$EMULATOR_PYTHON" files/check_forks.py hold
ansible-playbook -i files/writers.yml runme.yml --forks 10 "$@"
"$EMULATOR_PYTHON" files/check_forks.py check
