#!/usr/bin/env bash
set -eux
source ../setup_emulator/emulator.sh

ansible-playbook -i ../setup_emulator/inventory.yml runme.yml "$@"
