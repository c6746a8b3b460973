#!/bin/sh
# The lab's /opt/cloud/bin/cleanup.sh: deletes the diagnostics zip the management server copied away.
zip_file=$1
if [ -e "$zip_file" ]; then
    rm -f "$zip_file"
    echo "Deleting diagnostics zip file $zip_file"
else
    echo "File $zip_file not found in vm "
fi
