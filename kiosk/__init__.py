"""The kiosk core: records, rules, photo and document processing, forms, local store and sync.

Nothing in this package imports Kivy or a device library; devices are reached through the Protocol classes in
kiosk.devices, implemented in drivers/.
"""
