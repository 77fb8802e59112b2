"""Employees' documents: per-tenant encrypted file storage (issue 9, promise P10).

Modules, one idea each:

- ``store``: the ``FileStore`` seam (where an object store plugs in) and ``LocalFileStore``,
  one folder per tenant, files named by random ids, with ``remove_person`` and
  ``remove_tenant`` for erasure and offboarding (after the keys are destroyed).
- ``incoming``: an upload's file, received after authentication under the tenant's size
  limit, hashed, and spooled under a throwaway key (plaintext never touches a disk).
- ``filetypes``: accepted types by content (magic numbers) and filename normalisation.
- ``bodies``: sealing a body into the store and opening it again, chunk by chunk.
- ``access``: a document's category names the field group the permission engine decides
  see, upload, download and delete on; the category's employee flags for one's own profile.
- ``categories``: the categories every tenant starts with.
- ``links``: single-use, short-lived download links, stored hashed, re-checked when used.
- ``download``: ``GET /files/{token}``, streaming the checked plaintext.

The cryptography is ``hrvault.crypto.streaming`` (chunked AES-256-GCM, each chunk bound to
tenant, person, document, index and a last-chunk flag) under the employee's person key.
"""
