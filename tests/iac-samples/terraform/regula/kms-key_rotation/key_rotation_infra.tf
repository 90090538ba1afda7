# Copyright 2020 Fugue, Inc.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
provider "aws" {
  version = "~> 2.41"
  region  = "us-west-2"
}

resource "aws_kms_key" "valid" {
  description = "KMS key 1"
  enable_key_rotation = true
}

 resource "aws_kms_key" "invalid" {
   description = "KMS key 2"
   enable_key_rotation = false
 }
 
 resource "aws_kms_key" "blank-invalid" {
   description = "KMS key 3"
 }