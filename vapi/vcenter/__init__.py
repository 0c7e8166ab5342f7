"""`com.vmware.vcenter.*`: the vCenter inventory over the Automation API (VKS-REFERENCE §7.4,
§7.5). inventory.py declares datacenters, folders, clusters, hosts, networks, datastores and
resource pools; vm.py the virtual machines and their power. common.py holds what they share:
visibility, list filters in SQL, the hard result limits, NOT_FOUND."""
